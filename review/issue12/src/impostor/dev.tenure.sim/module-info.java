module dev.tenure.sim { requires dev.tenure.lease; }
