//! Client scenarios: authorization. (Being written.)

use crate::client::scenario::Scenario;

pub fn scenarios() -> Vec<Scenario> {
    Vec::new()
}
