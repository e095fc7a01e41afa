//! newsdex-server
