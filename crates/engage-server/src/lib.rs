//! Engage server.
