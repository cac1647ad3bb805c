const userCache = new Map();

async function fetchUser(userId, includeProfile) {
  if (userCache.has(userId)) {
    return userCache.get(userId);
  }
  const response = await fetch(`/api/users/${userId}?profile=${includeProfile}`);
  const user = await response.json();
  userCache.set(userId, user);
  return user;
}

function displayName(user) {
  return user.firstName + ' ' + user.lastName;
}

function isActiveUser(user, lastSeenDays) {
  return user.enabled && user.lastSeenDays < lastSeenDays;
}

module.exports = { fetchUser, displayName, isActiveUser };
