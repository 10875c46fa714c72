package mockplatform

import "github.com/gorilla/mux"

func (p *Platform) controlRoutes(r *mux.Router) {}
