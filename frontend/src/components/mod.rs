//! Pieces shared by the pages.

mod devices;
mod guard;
mod header;
mod load_error;
mod notice;
mod passkeys;

pub use devices::SignedInDevices;
pub use guard::NotFound;
pub use header::Header;
pub use load_error::LoadError;
pub use notice::NetworkNotice;
pub use passkeys::{PasskeyOffer, PasskeySignIn, PasskeysSection};
