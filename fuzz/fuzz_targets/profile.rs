//! The profile / service config loader (see opsdeck::fuzzing::check_profile).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opsdeck::fuzzing::check_profile(data);
});
