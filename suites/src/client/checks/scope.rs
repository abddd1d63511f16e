//! Client checks: scope. (Being written.)
