//! Supervision: the children tend runs and the policy over them.
// The loop moves here from supervisor.rs as issue 19 lands.
#![allow(dead_code)]

pub mod children;
