//! Client checks: outcome. (Being written.)
