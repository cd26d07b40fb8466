//! The application around the tools: the multi-call binary (multicall.rs), man pages
//! and completions (manual.rs), and the generated JSON documentation (json_docs.rs).

pub mod json_docs;
pub mod manual;
pub mod multicall;
