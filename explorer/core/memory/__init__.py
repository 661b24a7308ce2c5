"""Process memory: the RSS/USS/PSS sampler, the peak budget, system limits, trimming."""
