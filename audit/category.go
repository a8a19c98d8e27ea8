package audit

// Category says which name-list an algorithm belongs to, or what else a
// finding is about.
type Category string

// The categories of algorithms: one per kind of KEXINIT name-list.
const (
	Kex         Category = "kex"
	HostKeyAlg  Category = "hostkey"
	Cipher      Category = "cipher"
	MAC         Category = "mac"
	Compression Category = "compression"
)

// The categories of findings that are not about one offered algorithm.
const (
	Key         Category = "key"          // an actual host key: its type and size
	Terrapin    Category = "terrapin"     // CVE-2023-48795
	PostQuantum Category = "post_quantum" // whether a post-quantum key exchange is offered
	PolicyCheck Category = "policy"       // a policy violation
	Modulus     Category = "gex_modulus"  // a group-exchange modulus, measured
)

// Directions of a cipher or MAC finding, by the RFC 4253 names of the lists.
const (
	ClientToServer = "client_to_server"
	ServerToClient = "server_to_client"
	Both           = "both"
)
