// Package rie pins the AWS Lambda Runtime Interface Emulator that the
// cwzaplambda tests run functions under, as a tool of this module:
//
//	go build -o aws-lambda-rie github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
//
// It is a module of its own so that the emulator, and the Go version it
// requires, stay out of cwzaplambda's go.mod and its users' builds.
package rie
