//! ferromcp (under construction).
