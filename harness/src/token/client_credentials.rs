//! The client credentials grant (OAuth 2.1 §4.2): one POST to the token endpoint, the client
//! authenticated with `client_secret_basic`.

use super::discovery::Metadata;
use super::http::{Http, OAuthAnswer};
use super::{token_response, warn_if_cleartext, Event, TokenError, TokenRequest, TokenResponse};

const ENDPOINT: &str = "token endpoint";

pub(crate) async fn run(
    http: &Http,
    metadata: &Metadata,
    request: &TokenRequest,
    events: &mut dyn FnMut(Event),
) -> Result<TokenResponse, TokenError> {
    let token_endpoint = metadata.endpoint("token_endpoint")?;
    warn_if_cleartext(&token_endpoint, events);
    // RFC 8414 §2: without the member, client_secret_basic is the default.
    if metadata.lists(
        "token_endpoint_auth_methods_supported",
        "client_secret_basic",
    ) == Some(false)
    {
        events(Event::Warning(
            "the metadata's token_endpoint_auth_methods_supported does not list \
             `client_secret_basic`; trying anyway"
                .into(),
        ));
    }
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = &request.scope {
        form.push(("scope", scope));
    }
    if let Some(resource) = &request.resource {
        form.push(("resource", resource));
    }
    match http
        .post_form(ENDPOINT, &token_endpoint, &form, &request.client)
        .await?
    {
        OAuthAnswer::Success(object) => token_response(ENDPOINT, &token_endpoint, &object, events),
        OAuthAnswer::Error {
            status,
            error,
            description,
        } => Err(TokenError::Refused {
            endpoint: ENDPOINT,
            url: token_endpoint,
            status,
            error,
            description,
        }),
    }
}
