//! The keymap loader (see opsdeck::fuzzing::check_keymap).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opsdeck::fuzzing::check_keymap(data);
});
