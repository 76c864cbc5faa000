package main

import "github.com/kiln-ml/kiln/ir/interp"

func init() {
	readNPY = interp.ReadNPYFile
	writeNPY = interp.WriteNPYFile
}
