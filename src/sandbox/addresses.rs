//! Deposit addresses and transaction hashes in each network's usual shape, drawn from the
//! world's seeded id stream (sandbox choice: testnet prefixes, since the seeded network
//! configs say `mainnet: false`).

use super::engine::World;

const HEX: &[u8] = b"0123456789abcdef";
const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

impl World {
    /// A deposit address in the network's usual shape (testnet prefixes; sandbox choice).
    pub(super) fn wallet_address(&mut self, network: &str) -> String {
        match network {
            "tron" => format!("T{}", self.random_text(BASE58, 33)),
            "bitcoin" => format!("tb1q{}", self.random_text(BECH32, 38)),
            "litecoin" => format!("tltc1q{}", self.random_text(BECH32, 38)),
            "dogecoin" => format!("n{}", self.random_text(BASE58, 33)),
            _ => format!("0x{}", self.random_text(HEX, 40)),
        }
    }

    /// A transaction hash in the network's usual shape.
    pub(super) fn transaction_hash(&mut self, network: &str) -> String {
        let hash = self.random_text(HEX, 64);
        match network {
            "tron" | "bitcoin" | "litecoin" | "dogecoin" => hash,
            _ => format!("0x{hash}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::seed::test_world;
    use tokio::time::Instant;

    #[test]
    fn addresses_and_hashes_have_the_network_shape() {
        let mut world = test_world(Instant::now());
        let evm = world.wallet_address("polygon");
        assert!(evm.len() == 42 && evm.starts_with("0x"), "{evm}");
        let tron = world.wallet_address("tron");
        assert!(tron.len() == 34 && tron.starts_with('T'), "{tron}");
        let bitcoin = world.wallet_address("bitcoin");
        assert!(
            bitcoin.len() == 42 && bitcoin.starts_with("tb1q"),
            "{bitcoin}"
        );
        assert_eq!(world.transaction_hash("ethereum").len(), 66);
        assert_eq!(world.transaction_hash("bitcoin").len(), 64);
        assert_ne!(world.wallet_address("polygon"), evm);
    }
}
