//! Client checks: registration. (Being written.)
