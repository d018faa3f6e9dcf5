//! Passwords (argon2id), opaque bearer tokens (random, stored as SHA-256), client secrets
//! (verified by hash in constant time) and the secrets sealed at rest with [`SecretKey`]
//! (ChaCha20-Poly1305; the previous key still opens them during a key rotation).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("could not hash the password: {0}")]
    PasswordHash(String),
    #[error("the stored secret cannot be decrypted with this server's secret key (nor the previous one)")]
    Decrypt,
}

/// The 32-byte key that seals the secrets stored at rest (client secrets, Cloud API access
/// tokens, webhook secrets), and during a key rotation the previous one: sealing always uses
/// the current key; opening tries the current key, then the previous one.
#[derive(Clone)]
pub struct SecretKey {
    current: [u8; 32],
    previous: Option<[u8; 32]>,
}

/// Which key opened a sealed secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedWith {
    Current,
    Previous,
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey {
            current: bytes,
            previous: None,
        }
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        SecretKey::from_bytes(bytes)
    }

    /// This key, still able to open what `previous` sealed (during a key rotation).
    #[must_use]
    pub fn with_previous(mut self, previous: &SecretKey) -> Self {
        self.previous = Some(previous.current);
        self
    }

    /// The current key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.current
    }

    /// `true` when a previous key is kept for opening older secrets.
    pub fn has_previous(&self) -> bool {
        self.previous.is_some()
    }

    /// `nonce (12 bytes) || ciphertext`, with the current key.
    pub fn encrypt(&self, plaintext: &str) -> Vec<u8> {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.current));
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("ChaCha20-Poly1305 encryption of a short secret cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Opens a secret sealed with the current key or, failing that, the previous one.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<String, CryptoError> {
        self.open(sealed).map(|(plaintext, _)| plaintext)
    }

    /// [`SecretKey::decrypt`], also saying which key opened it.
    pub fn open(&self, sealed: &[u8]) -> Result<(String, SealedWith), CryptoError> {
        if let Ok(plaintext) = open_with(&self.current, sealed) {
            return Ok((plaintext, SealedWith::Current));
        }
        match &self.previous {
            Some(previous) => {
                open_with(previous, sealed).map(|plaintext| (plaintext, SealedWith::Previous))
            }
            None => Err(CryptoError::Decrypt),
        }
    }
}

fn open_with(key: &[u8; 32], sealed: &[u8]) -> Result<String, CryptoError> {
    if sealed.len() < 12 {
        return Err(CryptoError::Decrypt);
    }
    let (nonce, ciphertext) = sealed.split_at(12);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    let plaintext = cipher
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .map_err(|_| CryptoError::Decrypt)?;
    String::from_utf8(plaintext).map_err(|_| CryptoError::Decrypt)
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// argon2id (default parameters) PHC string.
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| CryptoError::PasswordHash(error.to_string()))
}

/// `false` for a wrong password or an unreadable stored hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Largest argon2 memory cost (KiB) a stored hash may ask for: 256 MiB. Engage writes
/// 19 MiB hashes; anything above this is refused rather than allocated.
const MAX_VERIFY_MEMORY_KIB: u32 = 256 * 1024;

/// [`verify_password`] computing in `memory` (grown to the hash's memory cost when needed
/// and kept by the caller for the next verification), so that repeated sign-ins reuse the
/// same ~19 MiB instead of allocating it every time.
pub fn verify_password_in(password: &str, stored: &str, memory: &mut Vec<argon2::Block>) -> bool {
    use argon2::{Algorithm, Params, Version};
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_VERIFY_MEMORY_KIB {
        return false;
    }
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, argon2::Block::default());
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut computed = vec![0u8; expected.len()];
    let hasher = Argon2::new(algorithm, version, params);
    if hasher
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut computed,
            &mut memory[..blocks],
        )
        .is_err()
    {
        return false;
    }
    bool::from(computed.as_slice().ct_eq(expected.as_bytes()))
}

/// A fresh opaque token: 32 random bytes, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token or secret: what the database stores.
pub fn sha256(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// Constant-time comparison of a presented secret against its stored hash.
pub fn secret_matches(presented: &str, stored_hash: &[u8]) -> bool {
    let hash = sha256(presented);
    stored_hash.len() == hash.len() && bool::from(hash.as_slice().ct_eq(stored_hash))
}

/// A new client id: `engage_` followed by 16 random bytes in base64url.
pub fn new_client_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    format!("engage_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Lowercase hex of HMAC-SHA256(`key`, `data`) (status callback signatures).
pub fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> String {
    use hmac::Mac;
    let mut mac =
        <hmac::Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Prefix of the client ids of test credentials (their messages go through the sandbox).
pub const TEST_CLIENT_ID_PREFIX: &str = "engage_test_";

/// A new client id for test credentials: `engage_test_` + 22 URL-safe characters.
pub fn new_test_client_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    format!("{TEST_CLIENT_ID_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_secret_round_trips_through_encryption() {
        let key = SecretKey::generate();
        let sealed = key.encrypt("s3cr3t-value");
        assert!(!sealed.windows(12).any(|w| w == b"s3cr3t-value"));
        assert_eq!(key.decrypt(&sealed).unwrap(), "s3cr3t-value");
    }

    #[test]
    fn decryption_with_another_key_fails() {
        let sealed = SecretKey::generate().encrypt("value");
        assert!(matches!(
            SecretKey::generate().decrypt(&sealed),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn a_secret_sealed_with_the_previous_key_still_opens_during_a_rotation() {
        let previous = SecretKey::generate();
        let sealed = previous.encrypt("old-token");
        let current = SecretKey::generate();
        assert!(current.decrypt(&sealed).is_err());
        let rotating = current.clone().with_previous(&previous);
        assert_eq!(
            rotating.open(&sealed).unwrap(),
            ("old-token".to_owned(), SealedWith::Previous)
        );
        let resealed = rotating.encrypt("old-token");
        assert_eq!(
            rotating.open(&resealed).unwrap(),
            ("old-token".to_owned(), SealedWith::Current)
        );
        assert_eq!(current.decrypt(&resealed).unwrap(), "old-token");
        assert!(previous.decrypt(&resealed).is_err());
    }

    #[test]
    fn tampered_ciphertext_is_refused() {
        let key = SecretKey::generate();
        let mut sealed = key.encrypt("value");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(key.decrypt(&sealed).is_err());
    }

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let hash = hash_password("engage-sandbox").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("engage-sandbox", &hash));
        assert!(!verify_password("engage-sandboX", &hash));
    }

    #[test]
    fn verification_in_reused_memory_agrees_with_the_plain_one() {
        let hash = hash_password("engage-sandbox").unwrap();
        let mut memory = Vec::new();
        assert!(verify_password_in("engage-sandbox", &hash, &mut memory));
        let allocated = memory.len();
        assert_eq!(allocated * 1024, 19456 * 1024, "argon2id default: 19 MiB");
        assert!(!verify_password_in("engage-sandboX", &hash, &mut memory));
        assert!(verify_password_in("engage-sandbox", &hash, &mut memory));
        assert_eq!(memory.len(), allocated, "the same memory is reused");
        assert!(!verify_password_in("x", "not a hash", &mut memory));
        assert!(!verify_password_in(
            "x",
            "$argon2id$v=19$m=1048576,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo",
            &mut memory
        ));
    }

    #[test]
    fn secrets_match_only_their_hash() {
        let secret = random_token();
        assert_eq!(secret.len(), 43);
        let stored = sha256(&secret);
        assert!(secret_matches(&secret, &stored));
        assert!(!secret_matches("other", &stored));
        assert!(!secret_matches(&secret, &stored[..31]));
    }
}
