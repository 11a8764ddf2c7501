package api

import (
	"context"
	"net/http"

	"github.com/bidcast/bidcast/cluster"
)

// ClusterNodes lists the live nodes of the cluster; *cluster.Registry
// implements it.
type ClusterNodes interface {
	Nodes(ctx context.Context) ([]cluster.Node, error)
	Self() string
}

var _ ClusterNodes = (*cluster.Registry)(nil)

var errClusterDisabled = &Error{Status: http.StatusServiceUnavailable, Code: "cluster_disabled",
	Message: "this server has no cluster registry"}

// clusterView is the body of GET /cluster.
type clusterView struct {
	Self  string         `json:"self"`
	Nodes []cluster.Node `json:"nodes"`
}

// getCluster lists the nodes that heartbeated within the drop-out time.
func (s *server) getCluster(w http.ResponseWriter, r *http.Request, _ Principal) error {
	if s.cluster == nil {
		return errClusterDisabled
	}
	nodes, err := s.cluster.Nodes(r.Context())
	if err != nil {
		s.log.Warn("listing cluster nodes failed", "err", err)
		return &Error{Status: http.StatusServiceUnavailable, Code: "cluster_unavailable",
			Message: "the cluster registry cannot be read now", RetryAfter: 1}
	}
	if nodes == nil {
		nodes = []cluster.Node{}
	}
	writeJSON(w, http.StatusOK, clusterView{Self: s.cluster.Self(), Nodes: nodes})
	return nil
}
