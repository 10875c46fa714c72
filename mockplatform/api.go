package mockplatform

import "github.com/gorilla/mux"

func (p *Platform) apiRoutes(r *mux.Router) {}
