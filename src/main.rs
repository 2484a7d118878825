fn main() -> std::process::ExitCode {
    acct::run()
}
