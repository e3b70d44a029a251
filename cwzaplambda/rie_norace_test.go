//go:build !race

package cwzaplambda_test

// _raceFlag is empty: the tests run without the race detector.
var _raceFlag []string
