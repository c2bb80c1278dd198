//! The binary edge: parse the command line, run, report errors in one line.

fn main() -> std::process::ExitCode {
    proximity::cli::main()
}
