//! The `preflight` binary: parse, run, map to an exit code. See `cli.rs`.

fn main() -> std::process::ExitCode {
    preflight::cli::main()
}
