//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document).
