//! Log lines: the sanitiser and the ingest parser (see opsdeck::fuzzing::check_log_line).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    opsdeck::fuzzing::check_log_line(data);
});
