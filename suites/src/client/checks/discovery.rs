//! Client checks: discovery. (Being written.)
