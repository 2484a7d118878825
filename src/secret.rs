//! Random tokens and their hashes.

use base64::Engine;
use sha2::{Digest, Sha256};

pub fn fill_random(buf: &mut [u8]) {
    use rand::RngExt;
    rand::rng().fill(buf);
}

/// 256 random bits, base64url without padding.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    fill_random(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn sha256(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}
