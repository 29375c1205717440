//! Attribute macros of ferromcp (under construction).
