//! The plan artifact: prost wire types from proto/ and versioned read/write.
