//! The integration tests, as one binary (one build, one boot per guest): the real tools
//! on the real kernel, each test causing its own events and finding exactly those.
//! Helpers are in `helpers/`, by concern; a test module per tool or concern beside them.

/// The first statement of a test that loads BPF programs: it returns at once (saying
/// why) where the test does not run, and otherwise times the test until it ends.
/// `tracer_test!()` runs on every kernel; `tracer_test!(any_kernel)` marks a test whose
/// proof does not depend on the kernel, which the middle guest kernels leave out.
macro_rules! tracer_test {
    () => {
        tracer_test!(@scope KernelDependent)
    };
    (any_kernel) => {
        tracer_test!(@scope AnyKernel)
    };
    (@scope $scope:ident) => {
        let Some(_test) = $crate::helpers::harness::begin(
            {
                fn here() {}
                let name = std::any::type_name_of_val(&here);
                let name = name.strip_suffix("::here").unwrap_or(name);
                name.strip_prefix("it::").unwrap_or(name)
            },
            $crate::helpers::harness::Scope::$scope,
        ) else {
            return;
        };
    };
}

/// A tool's records test, in the tool's own test module:
/// `record_test!(X, |tool, stop, comm| { ...; Shown::Event(lines, field, value) })`
/// runs X as the body says (`records::json_while` with `stop`, on an event the body
/// causes, under the unique name `comm`), and `records::prove` checks that one of
/// the lines shows `field` = `value`. The test is `<module>::X::records`; records.rs
/// fails for a registered tool without one.
macro_rules! record_test {
    ($tool:ident, |$name:ident, $stop:ident, $comm:ident| $body:block) => {
        mod $tool {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::records::*;

            fn run($name: &'static str, $stop: $crate::helpers::Stop, $comm: String) -> Shown {
                $body
            }

            #[test]
            fn records() {
                tracer_test!();
                prove(stringify!($tool), run);
            }
        }
    };
}

mod helpers;

// Every other file here is a test module (a tool's tests are tests/it/TOOL.rs): a file
// added is compiled in, with no list of modules to keep.
automod::dir!("tests/it");
