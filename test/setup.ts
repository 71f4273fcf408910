// Preloaded before every test file (bunfig.toml): the ripple processes tests start inherit this
// environment, and RIPPLE_DHT=off keeps their DHT off unless a test asks for it with --dht and a
// loopback bootstrap. Nothing in the suite may reach the public DHT routers.
process.env.RIPPLE_DHT = "off";
