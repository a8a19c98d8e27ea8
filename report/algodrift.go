package report

// AlgoKind is how a server's offer moved away from its baseline.
type AlgoKind string

const (
	AlgoAdded     AlgoKind = "added"
	AlgoRemoved   AlgoKind = "removed"
	AlgoReordered AlgoKind = "reordered" // same names, another order: a lower finding
)

// AlgoChange is one name-list that differs from the baseline.
type AlgoChange struct {
	Field      string   `json:"field"` // the RFC 4253 name of the list
	Kind       AlgoKind `json:"kind"`
	Algorithms []string `json:"algorithms"`
}
