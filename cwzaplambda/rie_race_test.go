//go:build race

package cwzaplambda_test

// _raceFlag builds the test function with the race detector when the tests
// run with it, so that the handshake inside the function is checked too.
var _raceFlag = []string{"-race"}
