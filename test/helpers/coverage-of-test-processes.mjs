// Loaded into every test process after tap's coverage recorder (tap's `node-arg`, package.json). Coverage is kept
// of the test processes only, not of the servers and CLIs they start: those run the same sources through tsx,
// whose output is one line per file, which c8 cannot map back to source lines, and merged with the test
// processes' coverage of the same files it garbles theirs (whole directories dropped from the report). Children
// inherit this setting from the environment; the test process has already started recording.
process.env._TAPJS_PROCESSINFO_COVERAGE_ = '0'
