//! Who the client is, for the per-address limits (login proxy, account API, passkey starts) and
//! the `ipAddress` sent to FusionAuth: the connection's peer, or, when that peer is one of
//! `APP_TRUSTED_PROXIES`, the right-most `X-Forwarded-For` entry that is not a trusted proxy.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::HttpRequest;

use crate::error::{Error, Result};
use crate::rate_limit::RateLimiter;

/// The reverse proxies whose `X-Forwarded-For` is believed (app data).
#[derive(Clone, Debug, Default)]
pub struct ClientAddresses {
    trusted_proxies: Vec<IpAddr>,
}

impl ClientAddresses {
    pub fn new(trusted_proxies: Vec<IpAddr>) -> Self {
        Self { trusted_proxies }
    }

    /// The client address of `req`.
    pub fn of(&self, req: &HttpRequest) -> IpAddr {
        let peer = req
            .peer_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        let forwarded_for = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok());
        self.resolve(peer, forwarded_for)
    }

    fn resolve(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let Some(chain) = forwarded_for else {
            return peer;
        };
        let mut client = peer;
        for hop in chain.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(address) => {
                    client = address;
                    if !self.trusted_proxies.contains(&address) {
                        break;
                    }
                }
                // An entry that is not an address ends what can be believed.
                Err(_) => break,
            }
        }
        client
    }
}

/// Counts one attempt at `what` (for the log) from `client_ip` against `limiter`.
///
/// # Errors
/// [`Error::TooManyRequests`] past the limit, with the seconds to wait.
pub fn admit(limiter: &RateLimiter, client_ip: IpAddr, what: &str) -> Result<()> {
    limiter.check(client_ip).map_err(|wait| {
        tracing::warn!(%client_ip, "too many {what} attempts");
        Error::too_many_requests(wait)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let peer: IpAddr = "127.0.0.1".parse().expect("address");
        let chain = Some("198.51.100.7, 203.0.113.1, 10.0.0.5");
        let cases: [(&[&str], Option<&str>, &str); 5] = [
            (&[], chain, "127.0.0.1"),
            (&["127.0.0.1"], chain, "10.0.0.5"),
            (&["127.0.0.1", "10.0.0.5"], chain, "203.0.113.1"),
            (&["127.0.0.1"], None, "127.0.0.1"),
            (
                &["127.0.0.1", "10.0.0.5"],
                Some("garbage, 10.0.0.5"),
                "10.0.0.5",
            ),
        ];
        for (trusted, forwarded_for, expected) in cases {
            let addresses = ClientAddresses::new(
                trusted
                    .iter()
                    .map(|a| a.parse().expect("address"))
                    .collect(),
            );
            assert_eq!(
                addresses.resolve(peer, forwarded_for).to_string(),
                expected,
                "{trusted:?} {forwarded_for:?}"
            );
        }
    }
}
