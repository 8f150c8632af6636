using AlpacaConnect.Sandbox;

// Without --urls / ASPNETCORE_URLS the Sandbox listens on http://localhost:7072 (see SandboxApp.Build).
SandboxApp.Build(args).Run();
