//! Client scenarios: token. (Being written.)

use crate::client::scenario::Scenario;

pub fn scenarios() -> Vec<Scenario> {
    Vec::new()
}
