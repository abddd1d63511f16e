//! Client checks: token. (Being written.)
