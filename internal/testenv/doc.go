// Package testenv finds the test data kept outside the repository: the
// folder ../shared beside the folder holding go.mod. Only tests import it;
// it imports nothing of kiln, so any package's tests may use it.
package testenv
