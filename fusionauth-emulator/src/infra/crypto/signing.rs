//! Keys that sign JWTs (RS256, ES256, HS256) and compact JWTs — RFC 7515, RFC 7517.

use anyhow::anyhow;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::{b64url, b64url_decode, random_bytes, random_string};

/// The secret part of a signing key.
enum Material {
    Rsa {
        pair: KeyPair,
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// P-256; `public` is the uncompressed point `04 || x || y`.
    Ec {
        pair: signature::EcdsaKeyPair,
        public: Vec<u8>,
    },
    Hmac {
        secret: Vec<u8>,
    },
}

/// A key that signs JWTs: RS256 (RSA), ES256 (P-256) or HS256 (HMAC secret), with its public
/// forms precomputed.
pub struct SigningKey {
    pub id: String,
    pub kid: String,
    pub algorithm: String,
    pub name: String,
    pub insert_instant: i64,
    material: Material,
    public_pem: Option<String>,
}

shared::debug_fields!(SigningKey { id, kid, algorithm });

impl SigningKey {
    /// Generates a new RSA key (RS256) of `bits`; returns it with its PKCS#8 encoding.
    pub fn generate(
        id: &str,
        name: &str,
        bits: u32,
        insert_instant: i64,
    ) -> anyhow::Result<(Self, Vec<u8>)> {
        Self::generate_for("RS256", id, name, bits, insert_instant)
    }

    /// Generates a key for `algorithm` (`RS256`, `ES256` or `HS256`); returns it with the bytes
    /// to store (PKCS#8 for RSA/EC, the secret for HMAC).
    pub fn generate_for(
        algorithm: &str,
        id: &str,
        name: &str,
        bits: u32,
        insert_instant: i64,
    ) -> anyhow::Result<(Self, Vec<u8>)> {
        let stored = match algorithm {
            "RS256" => {
                let size = match bits {
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    _ => KeySize::Rsa2048,
                };
                let pair =
                    KeyPair::generate(size).map_err(|_| anyhow!("RSA key generation failed"))?;
                pair.as_der()
                    .map_err(|_| anyhow!("RSA key encoding failed"))?
                    .as_ref()
                    .to_vec()
            }
            "ES256" => signature::EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|_| anyhow!("EC key generation failed"))?
            .as_ref()
            .to_vec(),
            "HS256" => random_bytes::<32>()?.to_vec(),
            other => return Err(anyhow!("unsupported key algorithm {other}")),
        };
        let kid = random_string::<20>()?;
        let key = Self::from_stored(id, &kid, algorithm, name, insert_instant, &stored)?;
        Ok((key, stored))
    }

    /// Loads a stored key of any supported algorithm.
    pub fn from_stored(
        id: &str,
        kid: &str,
        algorithm: &str,
        name: &str,
        insert_instant: i64,
        stored: &[u8],
    ) -> anyhow::Result<Self> {
        let (material, public_pem) = match algorithm {
            "RS256" => {
                let pair =
                    KeyPair::from_pkcs8(stored).map_err(|e| anyhow!("bad stored RSA key: {e}"))?;
                let components: RsaPublicKeyComponents<Vec<u8>> = pair.public_key().into();
                let spki = pair
                    .public_key()
                    .as_der()
                    .map_err(|_| anyhow!("public key encoding failed"))?;
                let pem = pem("PUBLIC KEY", spki.as_ref());
                (
                    Material::Rsa {
                        pair,
                        n: components.n,
                        e: components.e,
                    },
                    Some(pem),
                )
            }
            "ES256" => {
                let pair = signature::EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    stored,
                )
                .map_err(|e| anyhow!("bad stored EC key: {e}"))?;
                let public = pair.public_key().as_ref().to_vec();
                let spki: aws_lc_rs::encoding::PublicKeyX509Der<'_> = pair
                    .public_key()
                    .as_der()
                    .map_err(|_| anyhow!("public key encoding failed"))?;
                let pem = pem("PUBLIC KEY", spki.as_ref());
                (Material::Ec { pair, public }, Some(pem))
            }
            "HS256" => (
                Material::Hmac {
                    secret: stored.to_vec(),
                },
                None,
            ),
            other => return Err(anyhow!("unsupported stored key algorithm {other}")),
        };
        Ok(Self {
            id: id.to_owned(),
            kid: kid.to_owned(),
            algorithm: algorithm.to_owned(),
            name: name.to_owned(),
            insert_instant,
            material,
            public_pem,
        })
    }

    /// The public key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) block; `None` for HMAC.
    pub fn public_pem(&self) -> Option<&str> {
        self.public_pem.as_deref()
    }

    /// `RSA`, `EC` or `HMAC` (the Key API's `type`).
    pub fn key_type(&self) -> &'static str {
        match self.material {
            Material::Rsa { .. } => "RSA",
            Material::Ec { .. } => "EC",
            Material::Hmac { .. } => "HMAC",
        }
    }

    /// The key length in bits (RSA modulus, EC curve, HMAC secret).
    pub fn length(&self) -> usize {
        match &self.material {
            Material::Rsa { n, .. } => n.len() * 8,
            Material::Ec { .. } => 256,
            Material::Hmac { secret } => secret.len() * 8,
        }
    }

    /// The HMAC secret (standard Base64), for the Key API; `None` for asymmetric keys.
    pub fn secret_b64(&self) -> Option<String> {
        match &self.material {
            Material::Hmac { secret } => Some(STANDARD.encode(secret)),
            _ => None,
        }
    }

    /// The public key as a JWK; `None` for HMAC keys (never published).
    pub fn jwk(&self) -> Option<shared::fusionauth::Jwk> {
        let base = shared::fusionauth::Jwk {
            alg: Some(self.algorithm.clone()),
            use_: Some("sig".to_owned()),
            kid: self.kid.clone(),
            ..Default::default()
        };
        match &self.material {
            Material::Rsa { n, e, .. } => Some(shared::fusionauth::Jwk {
                kty: "RSA".to_owned(),
                n: Some(b64url(n)),
                e: Some(b64url(e)),
                ..base
            }),
            Material::Ec { public, .. } => Some(shared::fusionauth::Jwk {
                kty: "EC".to_owned(),
                crv: Some("P-256".to_owned()),
                x: public.get(1..33).map(b64url),
                y: public.get(33..65).map(b64url),
                ..base
            }),
            Material::Hmac { .. } => None,
        }
    }

    /// Signs `claims` as a compact JWT with this key's algorithm and `kid`.
    pub fn sign_jwt(&self, claims: &impl serde::Serialize) -> anyhow::Result<String> {
        let header = serde_json::json!({"alg": self.algorithm, "typ": "JWT", "kid": self.kid});
        let mut message = b64url(&serde_json::to_vec(&header)?);
        message.push('.');
        message.push_str(&b64url(&serde_json::to_vec(claims)?));
        let signature = match &self.material {
            Material::Rsa { pair, .. } => {
                let mut signature = vec![0u8; pair.public_modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message.as_bytes(),
                    &mut signature,
                )
                .map_err(|_| anyhow!("RSA signing failed"))?;
                signature
            }
            Material::Ec { pair, .. } => pair
                .sign(&SystemRandom::new(), message.as_bytes())
                .map_err(|_| anyhow!("EC signing failed"))?
                .as_ref()
                .to_vec(),
            Material::Hmac { secret } => {
                let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
                hmac::sign(&key, message.as_bytes()).as_ref().to_vec()
            }
        };
        message.push('.');
        message.push_str(&b64url(&signature));
        Ok(message)
    }

    /// Checks a signature made by this key over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Rsa { n, e, .. } => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
            Material::Ec { public, .. } => {
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, public)
                    .verify(message, signature)
                    .is_ok()
            }
            Material::Hmac { secret } => {
                let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
                hmac::verify(&key, message, signature).is_ok()
            }
        }
    }
}

/// The parts of a compact JWT, decoded but not yet verified.
#[derive(Debug)]
pub struct ParsedJwt {
    pub kid: Option<String>,
    pub alg: String,
    pub claims: serde_json::Map<String, Value>,
    pub signed_part: String,
    pub signature: Vec<u8>,
}

/// Splits and decodes a compact JWT; `None` when it is malformed.
pub fn parse_jwt(token: &str) -> Option<ParsedJwt> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&b64url_decode(header)?).ok()?;
    let claims: Value = serde_json::from_slice(&b64url_decode(payload)?).ok()?;
    Some(ParsedJwt {
        kid: header.get("kid").and_then(Value::as_str).map(str::to_owned),
        alg: header.get("alg").and_then(Value::as_str)?.to_owned(),
        claims: claims.as_object()?.clone(),
        signed_part: token[..token.rfind('.')?].to_owned(),
        signature: b64url_decode(signature)?,
    })
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_and_hmac_keys_sign_and_verify_their_own_jwts() {
        for algorithm in ["ES256", "HS256"] {
            let (key, stored) = SigningKey::generate_for(algorithm, "id", "t", 0, 0).expect("key");
            let reloaded =
                SigningKey::from_stored("id", &key.kid, algorithm, "t", 0, &stored).expect("load");
            let jwt = key
                .sign_jwt(&serde_json::json!({"sub": "x"}))
                .expect("sign");
            let parsed = parse_jwt(&jwt).expect("parse");
            assert_eq!(parsed.alg, algorithm);
            assert!(reloaded.verify(parsed.signed_part.as_bytes(), &parsed.signature));
            assert!(!reloaded.verify(b"other", &parsed.signature));
        }
    }

    #[test]
    fn a_signed_jwt_verifies_with_its_key() {
        let (key, _) = SigningKey::generate("id", "test", 2048, 0).expect("key");
        let jwt = key
            .sign_jwt(&serde_json::json!({"sub": "x"}))
            .expect("sign");
        let parsed = parse_jwt(&jwt).expect("parse");
        assert_eq!(parsed.kid.as_deref(), Some(key.kid.as_str()));
        assert!(key.verify(parsed.signed_part.as_bytes(), &parsed.signature));
        assert!(!key.verify(b"other", &parsed.signature));
    }
}
