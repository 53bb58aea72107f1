//! The runbook reader (see opsdeck::fuzzing::check_runbook).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opsdeck::fuzzing::check_runbook(data);
});
