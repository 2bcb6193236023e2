//! The command line: `coremusic info|convert|play|midi|latency`.
