//! Engage domain and wire types.
