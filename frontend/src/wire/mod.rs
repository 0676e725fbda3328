//! The wire types the PWA reads and writes, with [`crate::json`] instead of serde (for the
//! download's size): `impl Read`/`impl Write` for the `shared` types themselves where the PWA
//! uses all of them, and slices named after the `shared` type they mirror where it needs only a
//! few fields. `tests/wire.rs` checks every reader and writer against serde's form of the same
//! `shared` type, so a field renamed there fails a test.

pub mod fusionauth;
pub mod store;
