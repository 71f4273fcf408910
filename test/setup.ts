// Preloaded before every test file (bunfig.toml): RIPPLE_DHT=off for code running in the test process
// itself. Processes the tests start do not see changes made here (Bun.spawn passes the environment the
// runner started with), so the ripple they run gets RIPPLE_DHT=off from the wrapper in
// test/helpers/binary.ts, and `bun run test` sets it for the whole run. Nothing in the suite may reach
// the public DHT routers.
process.env.RIPPLE_DHT = "off";
