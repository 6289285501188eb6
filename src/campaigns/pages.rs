//! Staff screens for campaigns.
