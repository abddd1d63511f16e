//! Client checks: authorization. (Being written.)
