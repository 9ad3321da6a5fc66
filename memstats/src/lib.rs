//! memstats
