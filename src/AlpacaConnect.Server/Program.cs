using AlpacaConnect.Server;

await ServerApp.Build(args).RunAsync();
