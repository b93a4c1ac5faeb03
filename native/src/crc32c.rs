//! CRC32C (Castagnoli), the checksum of Kafka record batches (magic 2).
//!
//! Two implementations with identical results: SSE4.2's `crc32` instruction where the CPU has
//! it, and slicing-by-8 tables elsewhere. The instruction has a latency of 3 cycles but a
//! throughput of 1 per cycle, so one dependent chain reaches only a third of the speed; large
//! buffers are therefore split into three lanes computed together and joined with a "shift by
//! L zero bytes" operator (CRC is linear: crc(s, A‖B) = shift_|B|(crc(s, A)) ^ crc(0, B)), which
//! is applied with four table lookups.
//!
//! The `crc` values passed around inside are the raw register; the public functions apply the
//! customary inversion before and after, so `seed` continues a previous result:
//! crc32c(B, seed = crc32c(A)) == crc32c(A‖B).
//!
//! Plain Rust with no Node-API in it (the binding is `crc32c_js.rs`), so that
//! bench/native/variants can compile this same file behind other bindings.

use std::sync::OnceLock;

const POLYNOMIAL: u32 = 0x82F6_3B78;

const fn build_tables() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLYNOMIAL
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][byte] = crc;
        byte += 1;
    }
    let mut slice = 1;
    while slice < 8 {
        let mut byte = 0;
        while byte < 256 {
            let previous = tables[slice - 1][byte];
            tables[slice][byte] = (previous >> 8) ^ tables[0][(previous & 0xff) as usize];
            byte += 1;
        }
        slice += 1;
    }
    tables
}

static TABLES: [[u32; 256]; 8] = build_tables();

/// Slicing-by-8: eight table lookups per 8 bytes, no special instructions.
pub fn update_table(mut crc: u32, data: &[u8]) -> u32 {
    let t = &TABLES;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let low = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) ^ crc;
        let high = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        crc = t[7][(low & 0xff) as usize]
            ^ t[6][((low >> 8) & 0xff) as usize]
            ^ t[5][((low >> 16) & 0xff) as usize]
            ^ t[4][(low >> 24) as usize]
            ^ t[3][(high & 0xff) as usize]
            ^ t[2][((high >> 8) & 0xff) as usize]
            ^ t[1][((high >> 16) & 0xff) as usize]
            ^ t[0][(high >> 24) as usize];
    }
    for &byte in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ byte as u32) & 0xff) as usize];
    }
    crc
}

/// The linear map "append `lane_bytes` zero bytes" on the CRC register, as four byte tables.
struct Shift {
    tables: [[u32; 256]; 4],
}

impl Shift {
    fn new(lane_bytes: usize) -> Shift {
        let zeros = vec![0u8; lane_bytes];
        let columns: Vec<u32> = (0..32)
            .map(|bit| update_table(1u32 << bit, &zeros))
            .collect();
        let mut tables = [[0u32; 256]; 4];
        for (position, table) in tables.iter_mut().enumerate() {
            for (byte, entry) in table.iter_mut().enumerate() {
                *entry = (0..8)
                    .filter(|bit| byte & (1 << bit) != 0)
                    .fold(0, |acc, bit| acc ^ columns[position * 8 + bit]);
            }
        }
        Shift { tables }
    }

    #[inline]
    fn apply(&self, crc: u32) -> u32 {
        let t = &self.tables;
        t[0][(crc & 0xff) as usize]
            ^ t[1][((crc >> 8) & 0xff) as usize]
            ^ t[2][((crc >> 16) & 0xff) as usize]
            ^ t[3][(crc >> 24) as usize]
    }
}

/// Lane sizes: long lanes for big buffers, short ones so a 1 KiB batch still runs three-wide.
const LONG_LANE_BYTES: usize = 8192;
const SHORT_LANE_BYTES: usize = 256;

fn shifts() -> &'static (Shift, Shift) {
    static SHIFTS: OnceLock<(Shift, Shift)> = OnceLock::new();
    SHIFTS.get_or_init(|| (Shift::new(LONG_LANE_BYTES), Shift::new(SHORT_LANE_BYTES)))
}

pub fn has_sse42() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static DETECTED: OnceLock<bool> = OnceLock::new();
        *DETECTED.get_or_init(|| std::is_x86_feature_detected!("sse4.2"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
unsafe fn update_sse42(crc: u32, data: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_crc32_u64, _mm_crc32_u8};
    let (long, short) = shifts();
    let mut crc = crc;
    let mut rest = data;
    for (lane_bytes, shift) in [(LONG_LANE_BYTES, long), (SHORT_LANE_BYTES, short)] {
        while rest.len() >= 3 * lane_bytes {
            let base = rest.as_ptr();
            let (mut a, mut b, mut c) = (crc as u64, 0u64, 0u64);
            let mut offset = 0;
            while offset < lane_bytes {
                a = _mm_crc32_u64(a, (base.add(offset) as *const u64).read_unaligned());
                b = _mm_crc32_u64(
                    b,
                    (base.add(lane_bytes + offset) as *const u64).read_unaligned(),
                );
                c = _mm_crc32_u64(
                    c,
                    (base.add(2 * lane_bytes + offset) as *const u64).read_unaligned(),
                );
                offset += 8;
            }
            crc = shift.apply(shift.apply(a as u32) ^ b as u32) ^ c as u32;
            rest = &rest[3 * lane_bytes..];
        }
    }
    let mut wide = crc as u64;
    let mut words = rest.chunks_exact(8);
    for word in &mut words {
        wide = _mm_crc32_u64(wide, u64::from_le_bytes(word.try_into().expect("8 bytes")));
    }
    let mut crc = wide as u32;
    for &byte in words.remainder() {
        crc = _mm_crc32_u8(crc, byte);
    }
    crc
}

pub fn crc32c(data: &[u8], seed: u32) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if has_sse42() {
        // SAFETY: the CPU supports SSE4.2, checked just above.
        return !unsafe { update_sse42(!seed, data) };
    }
    crc32c_table(data, seed)
}

pub fn crc32c_table(data: &[u8], seed: u32) -> u32 {
    !update_table(!seed, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        assert_eq!(crc32c(b"123456789", 0), 0xE306_9283);
        assert_eq!(crc32c_table(b"123456789", 0), 0xE306_9283);
    }

    #[test]
    fn implementations_agree_on_every_length_and_alignment() {
        let data: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for length in (0..2000).chain([24_575, 24_576, 24_577, 49_152, 99_000]) {
            for start in 0..3 {
                let slice = &data[start..start + length];
                assert_eq!(
                    crc32c(slice, 7),
                    crc32c_table(slice, 7),
                    "length {length} start {start}"
                );
            }
        }
    }

    #[test]
    fn seed_continues() {
        let data = vec![0xA5u8; 30_000];
        let whole = crc32c(&data, 0);
        assert_eq!(crc32c(&data[10_000..], crc32c(&data[..10_000], 0)), whole);
    }
}
